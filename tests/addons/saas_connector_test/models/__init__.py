from . import saas_backend
