from . import report_export
