# Livret — image de production en deux étapes.
#   docker build -t livret .
#   docker run -d --name livret -p 8080:8080 -v livret-data:/data \
#     -e LIVRET_PUBLIC_URL=https://livret.mon-lycee.fr livret
# Étape 1 : compilation (toolchain Rust officielle, même version que le projet).
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
# Le chiffrement des notifications (ece, via web-push) se compile avec OpenSSL ;
# libssl3 est déjà dans l'image d'exécution distroless/cc.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY pwa ./pwa
COPY icons ./icons
COPY tests/bench ./tests/bench
RUN cargo build --release --locked --bin livret \
 && mkdir -p /out/data \
 && cp target/release/livret /out/livret

# Étape 2 : exécution sur une base minimale (glibc seule, pas de shell), utilisateur
# non privilégié (uid 65532), données dans le volume /data.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /out/livret /usr/local/bin/livret
COPY --from=build --chown=65532:65532 /out/data /data
ENV LIVRET_DATA=/data \
    LIVRET_LISTEN=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/livret", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/livret"]
CMD ["serve"]
