# mahnwerk as a container: one image, one role per container (`run --role …`).
# Not built by CI (this repository's machines reach no container registry); kept minimal and
# conventional. Build: docker build -t mahnwerk .
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin mahnwerk

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/mahnwerk --create-home mahnwerk
COPY --from=build /src/target/release/mahnwerk /usr/local/bin/mahnwerk
COPY mahnwerk.example.toml /etc/mahnwerk/mahnwerk.example.toml
USER mahnwerk
WORKDIR /var/lib/mahnwerk
ENV MAHNWERK_HTTP_LISTEN=0.0.0.0:8080
# Return freed memory to the system at once, from the first allocation (README, "Intake memory").
ENV MIMALLOC_PURGE_DELAY=0 MIMALLOC_ARENA_EAGER_COMMIT=0
EXPOSE 8080
# The service stops gracefully on SIGTERM (docker stop) and exits non-zero naming a role that died.
ENTRYPOINT ["mahnwerk"]
CMD ["run", "--role", "all"]
