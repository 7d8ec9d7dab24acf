#!/bin/sh
# Seeds the loader's corpus with every example and test config file,
# prefixed by the format byte the target reads (0 TOML, 1 JSON, 2 YAML).
set -e
cd "$(dirname "$0")"
mkdir -p corpus/loader
for f in ../examples/*.toml ../examples/*.json ../examples/*.yaml \
         ../tests/config/valid/* ../tests/config/invalid/*; do
    case "$f" in
        *.toml) b='\000' ;;
        *.json) b='\001' ;;
        *.yaml|*.yml) b='\002' ;;
        *) continue ;;
    esac
    { printf "$b"; cat "$f"; } > "corpus/loader/$(basename "$f")"
done
