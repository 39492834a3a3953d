# The grading image: the pinned CDKTF toolchain (with its own Node), pylint, checkov, moto server,
# terraform and an AWS provider filesystem mirror, and the harness itself (which runs a slot's
# grading loop inside the container: docker backend). Built by `harness image build`, which
# assembles the build context (this file, the harness source, and tf/ below).
#
# Build arguments:
#   BASE_IMAGE          an official slim Python image, or the debootstrap base from
#                       scripts/base_image.sh on hosts that reach no registry
#   TERRAFORM_SOURCE    "download": fetch the pinned terraform release and AWS provider from
#                       releases.hashicorp.com (checksummed); "context": take tf/bin/terraform and the
#                       mirror tf/plugins/ that `harness image build` copied from the host
#   TERRAFORM_VERSION, AWS_PROVIDER_VERSION   the pins for "download"
ARG BASE_IMAGE=python:3.11-slim-bookworm
FROM ${BASE_IMAGE}

ENV TAPGRADE_HOME=/opt/tapgrade \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt \
    REQUESTS_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    LANG=C.UTF-8

# Non-root users (written by hand: a minbase root has no useradd): tapgrade for commands run in the
# image, tapgrade-code (1001) for the response's code in the docker backend, whose slot runs as root
# with a few capabilities and starts the toolchain worker under 1001.
RUN echo 'tapgrade:x:1000:1000:tapgrade:/home/tapgrade:/bin/sh' >> /etc/passwd \
 && echo 'tapgrade:x:1000:' >> /etc/group \
 && echo 'tapgrade-code:x:1001:1001:model code:/nonexistent:/usr/sbin/nologin' >> /etc/passwd \
 && echo 'tapgrade-code:x:1001:' >> /etc/group \
 && mkdir -p /home/tapgrade /opt/tapgrade/src && chown 1000:1000 /home/tapgrade

# The toolchain profiles (CDKTF + node wheel + pylint + boto3; checkov in its own venv). This layer
# depends on the pins alone, so a source change reuses it.
COPY harness/toolchain.py /opt/tapgrade/src/toolchain.py
RUN python3 /opt/tapgrade/src/toolchain.py install

# terraform + AWS provider mirror, from the build context or downloaded.
ARG TERRAFORM_SOURCE=download
ARG TERRAFORM_VERSION=1.11.4
ARG AWS_PROVIDER_VERSION=5.100.0
COPY tf/bin/ /usr/local/bin/
COPY tf/plugins/ /opt/tf-plugins/
RUN set -e; rm -f /usr/local/bin/.keep /opt/tf-plugins/.keep; \
    if [ "$TERRAFORM_SOURCE" = download ]; then \
      command -v curl >/dev/null && command -v unzip >/dev/null \
        || { apt-get update -q && apt-get install -y -q --no-install-recommends curl unzip && rm -rf /var/lib/apt/lists/*; }; \
      cd /tmp; \
      get() { curl -fsSLO "https://releases.hashicorp.com/$1/$2/$1_$2_linux_amd64.zip" \
              && curl -fsSL "https://releases.hashicorp.com/$1/$2/$1_$2_SHA256SUMS" | grep "_linux_amd64.zip" | sha256sum -c -; }; \
      get terraform "$TERRAFORM_VERSION" && unzip -q -o terraform_*_linux_amd64.zip -d /usr/local/bin terraform; \
      get terraform-provider-aws "$AWS_PROVIDER_VERSION"; \
      d=/opt/tf-plugins/registry.terraform.io/hashicorp/aws/$AWS_PROVIDER_VERSION/linux_amd64; \
      mkdir -p "$d" && unzip -q -o terraform-provider-aws_*_linux_amd64.zip -d "$d"; \
      rm -f /tmp/*.zip; \
    elif [ "$TERRAFORM_SOURCE" != context ]; then echo "TERRAFORM_SOURCE must be download or context" >&2; exit 1; fi; \
    terraform version

# regopy's native library needs libatomic (in scripts/base_image.sh's package list; slim images lack it).
RUN ldconfig -p | grep -q libatomic.so.1 \
 || { apt-get update -q && apt-get install -y -q --no-install-recommends libatomic1 && rm -rf /var/lib/apt/lists/*; }

# The harness: dependencies first (change rarely), then the source (changes often). Ray too: the
# image is also a node of a Ray cluster (KubeRay head and worker pods run it; README "Ray backend").
COPY pyproject.toml /opt/tapgrade/src/pyproject.toml
RUN python3 -m venv /opt/tapgrade/venv \
 && python3 -c "import tomllib; p = tomllib.load(open('/opt/tapgrade/src/pyproject.toml', 'rb'))['project']; print(chr(10).join(p['dependencies'] + p['optional-dependencies']['ray']))" > /tmp/requirements.txt \
 && /opt/tapgrade/venv/bin/pip install --quiet -r /tmp/requirements.txt && rm /tmp/requirements.txt
COPY harness /opt/tapgrade/src/harness
COPY graders /opt/tapgrade/src/graders
RUN /opt/tapgrade/venv/bin/pip install --quiet --no-deps /opt/tapgrade/src \
 && /opt/tapgrade/venv/bin/python -c "from harness.schema_check import load_schema; from harness.toolchain import DEFAULT_PROFILE; load_schema(DEFAULT_PROFILE); import ray" \
 && /opt/tapgrade/venv/bin/harness toolchain check

# Mount points of the docker backend (tmpfs run directory, read-only task bundles).
RUN mkdir -p /tapgrade /tapgrade-tasks && chmod 1777 /tapgrade

ENV PATH=/opt/tapgrade/venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
USER 1000:1000
WORKDIR /home/tapgrade
CMD ["harness", "--help"]
