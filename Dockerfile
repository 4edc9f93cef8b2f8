# incidentbot container image.
#
#   docker build --build-arg VERSION=$(git describe --tags --always) -t incidentbot .
#   docker run -d --name incidentbot \
#     -e SLACK_BOT_TOKEN=xoxb-… -e SLACK_APP_TOKEN=xapp-… \
#     -v incidentbot-data:/data -p 127.0.0.1:8089:8089 incidentbot
#
# A config file is optional (every scalar key has an INCIDENTBOT_* variable);
# to use one: -v "$PWD/config.yaml:/etc/incidentbot/config.yaml:ro"
#             -e INCIDENTBOT_CONFIG=/etc/incidentbot/config.yaml

# Base images by their full names: Podman, and registries without a default
# search list, refuse short names such as "golang".
FROM docker.io/library/golang:1.26 AS build
WORKDIR /src
# Dependencies first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# Static binary: the final image has no libc. .git is not in the build
# context, so VCS stamping is off and the version comes from VERSION.
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false \
      -ldflags "-s -w -X main.version=${VERSION}" \
      -o /out/incidentbot ./cmd/incidentbot
# The store folder, owned by the nonroot user (65532) so that a fresh named
# volume mounted on /data inherits a writable directory.
RUN mkdir -p /out/data

# distroless/static: CA certificates (for https://slack.com) and tzdata, no
# shell, runs as nonroot.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/incidentbot /incidentbot
COPY --from=build --chown=65532:65532 /out/data /data
# The bbolt store lives on the volume: it is all of the bot's state.
VOLUME /data
ENV INCIDENTBOT_STORE_PATH=/data/incidentbot.db
# The ops listener (/healthz, /readyz, /metrics) defaults to 127.0.0.1, which
# inside a container nobody else can reach; listen on all interfaces here so
# probes and scrapers can. The probes carry no incident data; the postmortem
# and integration routes are off unless INCIDENTBOT_HTTP_TOKEN is set, and
# then need it as a bearer token. Still publish the port only where it
# should be seen.
ENV INCIDENTBOT_HTTP_LISTEN=0.0.0.0:8089
EXPOSE 8089
USER nonroot:nonroot
ENTRYPOINT ["/incidentbot"]
CMD ["run"]
