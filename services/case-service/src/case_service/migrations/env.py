from arende_platform.migrations_env import run_migrations
from case_service.models import Base

run_migrations(Base.metadata)
