# Livret — image de production en deux étapes (issue 9).
#   docker build -t livret .
#   docker run -d --name livret -p 8080:8080 -v livret-data:/data \
#     -e LIVRET_PUBLIC_URL=https://livret.mon-lycee.fr livret
# Voir « Installer Livret pour un établissement » dans le README, et
# deploy/compose.yaml pour Docker Compose.

# Étape 1 : compilation, avec la toolchain Rust du projet, sur Debian 12 (bookworm),
# la Debian de l'image d'exécution : le binaire s'y lie aux mêmes bibliothèques.
FROM rust:1.95-slim-bookworm AS build
# Le chiffrement des notifications (ece, via web-push) se lie à OpenSSL. Les versions
# ne sont pas figées : ce sont celles, corrigées, de Debian 12 au moment de la
# construction.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libssl-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY pwa ./pwa
COPY icons ./icons
COPY fonts ./fonts
# Cargo.toml déclare les bancs d'essai : leurs sources doivent exister.
COPY tests/bench ./tests/bench
RUN cargo build --release --locked --bin livret \
 && cp target/release/livret /livret \
 && install -d -o 65532 -g 65532 -m 0700 /data /sauvegardes

# Étape 2 : exécution sur une base minimale, sans shell ni gestionnaire de paquets :
# glibc, libgcc et libssl3 de Debian 12 (celle que le binaire attend : on ne copie
# pas la bibliothèque de l'étape 1, pour que reconstruire l'image apporte les
# correctifs de sécurité d'OpenSSL), les certificats racines et les fuseaux horaires.
# Utilisateur non privilégié « nonroot » (uid 65532).
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /livret /livret
# Un volume nommé neuf reprend le répertoire de l'image, donc son propriétaire
# (65532) : /data pour les données, /sauvegardes pour les sauvegardes de la nuit
# (LIVRET_BACKUP_DIR=/sauvegardes, voir deploy/compose.yaml).
COPY --from=build --chown=65532:65532 /data /data
COPY --from=build --chown=65532:65532 /sauvegardes /sauvegardes
ENV LIVRET_DATA=/data \
    LIVRET_LISTEN=0.0.0.0:8080
VOLUME ["/data"]
EXPOSE 8080
USER 65532:65532
# Pas de curl dans l'image : le binaire interroge lui-même /healthz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["/livret", "healthcheck"]
ENTRYPOINT ["/livret"]
CMD ["serve"]
