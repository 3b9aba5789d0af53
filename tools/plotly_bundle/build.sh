#!/bin/sh
# Rebuild assets/plotly-glimpse.min.js (see README.md here). Needs node and npm (npm registry).
# PLOTLY_JS: the plotly.js version Dash serves (python -c "from plotly.offline import get_plotlyjs_version as v; print(v())").
set -e
here=$(cd "$(dirname "$0")" && pwd)
version=${PLOTLY_JS:-4.1.1}
work=${WORK:-$(mktemp -d)}
cp "$here/entry.js" "$work/entry.js"
cd "$work"
[ -f package.json ] || npm init -y >/dev/null
# buffer: the image trace decodes its source with it (a devDependency of plotly.js, bundled in theirs)
npm install --no-audit --no-fund "plotly.js@$version" esbuild@0.25 buffer@6 >/dev/null
# .css: maplibre-gl's stylesheet, required for map traces only (not bundled)
npx esbuild entry.js --bundle --minify --format=iife --global-name=Plotly --target=es2016 \
  --define:global=window --define:define.amd=false --legal-comments=none --loader:.css=empty \
  --banner:js="/* plotly.js v$version, partial bundle for Glimpse: scatter bar heatmap histogram image waterfall (MIT, Plotly, Inc.) */" \
  --outfile="$here/../../assets/plotly-glimpse.min.js"
ls -l "$here/../../assets/plotly-glimpse.min.js"
