"""`notification-service`: run the service until stopped."""

from arende_platform.web import serve
from notification_service.app import build_app
from notification_service.handlers import SERVICE
from notification_service.settings import NotificationSettings


def main() -> None:
    settings = NotificationSettings()
    serve(build_app(settings), settings, SERVICE, settings.notification_service_port)


if __name__ == "__main__":
    main()
