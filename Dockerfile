# Stratus in a container: build on Debian 12, run on Debian 12 slim.
# Keep the package lists in step with scripts/setup.sh.
FROM debian:12 AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libmicrohttpd-dev libsqlite3-dev libcjson-dev libuv1-dev \
      libcriterion-dev libyaml-dev libssl-dev zlib1g-dev libgmp-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY src ./src
COPY emulator ./emulator
COPY tests ./tests
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSTRATUS_TESTS=OFF \
    && cmake --build build -j"$(nproc)"

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
      libmicrohttpd12 libsqlite3-0 libcjson1 libuv1 libyaml-0-2 libssl3 \
      zlib1g libgmp10 nodejs unzip \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/stratus /usr/local/bin/stratus
COPY pipeline /opt/stratus/pipeline
COPY emulator/lambda/runtime /opt/stratus/runtime
COPY fixtures /opt/stratus/fixtures
WORKDIR /opt/stratus
EXPOSE 4566 4567
# Lambda environments listen on loopback inside the container.
ENV STRATUS_HOST=0.0.0.0 STRATUS_DATA_DIR=/var/lib/stratus \
    STRATUS_LAMBDA_NODE_BOOTSTRAP=/opt/stratus/runtime/node/bootstrap.mjs \
    STRATUS_FIXTURES_DIR=/opt/stratus/fixtures
CMD ["stratus", "serve"]
