from . import saas_backend
from . import saas_test_contact_handler
