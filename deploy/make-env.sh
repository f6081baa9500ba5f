#!/usr/bin/env sh
# Prints a .env for compose.yaml with fresh random secrets: ./make-env.sh > .env (never commit it).
set -eu
echo "POSTGRES_PASSWORD=$(openssl rand -hex 24)"
echo "AUTH_JWT_SECRET=$(openssl rand -hex 32)"
echo "CREDENTIALS_KEY=$(openssl rand -base64 32)"
