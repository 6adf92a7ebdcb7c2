from . import test_schedule_subscription
