from . import saas_event_ignore_wizard
