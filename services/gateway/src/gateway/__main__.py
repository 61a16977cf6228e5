"""`gateway`: run the caseworker web UI and the public JSON API until stopped."""

from arende_platform.web import serve
from gateway.app import build_app
from gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    serve(build_app(settings), settings, "gateway", settings.gateway_port)


if __name__ == "__main__":
    main()
