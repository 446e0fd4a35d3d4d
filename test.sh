#!/usr/bin/env bash
# The test command: every test project of the solution, Release build.
set -uo pipefail
cd "$(dirname "$0")"
exec dotnet test Spead2.Typed.sln -c Release "$@"
