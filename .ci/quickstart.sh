#!/usr/bin/env bash
# Proves the README's quickstart from the outside: packs Sentinel.Core, Sentinel.EntityFramework and
# Sentinel.AspNetCore, installs them from a local folder into a fresh `dotnet new web` app, takes the README's
# quickstart block as that app's Program.cs, runs it, and registers, signs in and calls a protected endpoint.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
version="0.1.0-quickstart.$(date +%s)" # a fresh version, so no cached copy of an older pack is used
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work" "${NUGET_PACKAGES:-$HOME/.nuget/packages}"/sentinel.*/"$version"
}
trap cleanup EXIT

for project in Sentinel.Core Sentinel.EntityFramework Sentinel.AspNetCore Sentinel.Redis; do
  dotnet pack "$root/src/$project" -c Release -o "$work/packages" -p:Version="$version" --nologo -v q
done

dotnet new web -o "$work/app" --no-restore >/dev/null
# The local folder is added to the sources this machine already has (its own configuration still applies).
cat > "$work/app/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <add key="sentinel-local" value="$work/packages" />
  </packageSources>
</configuration>
CONFIG
cd "$work/app"
dotnet add package Sentinel.AspNetCore --version "$version" >/dev/null
dotnet add package Sentinel.EntityFramework --version "$version" >/dev/null

# Program.cs is the README's first C# block under "## Quickstart", as written.
awk '/^## Quickstart/{q=1} q && /^```csharp/{f=1; next} f && /^```/{exit} f{print}' "$root/README.md" > Program.cs
grep -q 'AddSentinelAuth' Program.cs

port=$((20000 + RANDOM % 20000))
ASPNETCORE_URLS="http://127.0.0.1:$port" dotnet run --no-launch-profile > "$work/app.log" 2>&1 &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 120); do
  curl -fs -o /dev/null "$base/.well-known/jwks.json" && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/app.log"; exit 1; }
  sleep 1
done

body='{"email":"ada@example.com","password":"correct horse battery"}'
register=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/auth/register" -H 'Content-Type: application/json' -d "$body")
login=$(curl -s -X POST "$base/auth/login" -H 'Content-Type: application/json' -d "$body")
token=$(sed -n 's/.*"accessToken":"\([^"]*\)".*/\1/p' <<<"$login")
orders=$(curl -s -o /dev/null -w '%{http_code}' "$base/orders" -H "Authorization: Bearer $token")
anonymous=$(curl -s -o /dev/null -w '%{http_code}' "$base/orders")
if [ "$register" != 201 ] || [ -z "$token" ] || [ "$orders" != 200 ] || [ "$anonymous" != 401 ]; then
  echo "quickstart failed: register $register, token ${token:+present}, orders $orders, anonymous $anonymous"
  cat "$work/app.log"
  exit 1
fi
echo "quickstart: packed $version, installed into a new web app; register 201, login 200, /orders 200 with the token, 401 without"
