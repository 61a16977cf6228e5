"""`retention-service`: run the service until stopped."""

from arende_platform.web import serve
from retention_service.app import SERVICE, build_app
from retention_service.settings import RetentionSettings


def main() -> None:
    settings = RetentionSettings()
    serve(build_app(settings), settings, SERVICE, settings.retention_service_port)


if __name__ == "__main__":
    main()
