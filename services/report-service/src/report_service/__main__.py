"""`report-service`: run the service until stopped."""

from arende_platform.web import serve
from report_service.app import SERVICE, build_app
from report_service.settings import ReportServiceSettings


def main() -> None:
    settings = ReportServiceSettings()
    serve(build_app(settings), settings, SERVICE, settings.report_service_port)


if __name__ == "__main__":
    main()
