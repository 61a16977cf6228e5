"""`notification-service`: run the service until stopped."""

from arende_platform.settings import PlatformSettings
from arende_platform.web import serve
from notification_service.app import SERVICE, build_app


def main() -> None:
    settings = PlatformSettings()
    serve(build_app(settings), settings, SERVICE, settings.notification_service_port)


if __name__ == "__main__":
    main()
