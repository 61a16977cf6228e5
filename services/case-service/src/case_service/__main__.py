"""`case-service`: run the service until stopped."""

from arende_platform.web import serve
from case_service.app import build_app
from case_service.settings import CaseServiceSettings


def main() -> None:
    settings = CaseServiceSettings()
    serve(build_app(settings), settings, "case-service", settings.case_service_port)


if __name__ == "__main__":
    main()
