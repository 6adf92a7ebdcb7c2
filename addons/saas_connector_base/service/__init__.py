from . import prefork_outage
