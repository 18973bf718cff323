#!/usr/bin/env bash
# prompts.sh makes the server's voice prompts: every row of packaging/prompts.tsv (key, fi, sv, en)
# is spoken with espeak-ng and written as assets/prompts/<lang>/<key>.wav, 8 kHz mono 16-bit PCM,
# leading/trailing silence trimmed to 50 ms and the peak normalised to -3 dBFS (sox).
#
# Idempotent: a prompt whose text and voice settings are unchanged since the last run is skipped
# (a stamp per prompt lives under <out>/.stamps), so `make test` on a warm tree costs nothing.
#
# Usage: packaging/prompts.sh [OUT_DIR]            (default: assets/prompts of the repository)
# Environment:
#   FORCE=1          regenerate everything
#   PROMPT_KEYS="a b" only these keys (space-separated), e.g. PROMPT_KEYS="feature_activated goodbye"
#   PROMPT_LANGS="fi" only these languages (default: fi sv en)
#   PROMPTS_TSV=path  another text file (default: packaging/prompts.tsv)
#   JOBS=n           parallel workers (default: number of CPUs)
set -euo pipefail

# Voice settings; part of every stamp, so changing them regenerates the prompts.
SPEED=150
STAMP_VERSION=1

# say LANG KEY TEXT OUT_DIR: one prompt (also the entry point of the parallel workers).
say() {
	local lang=$1 key=$2 text=$3 out=$4
	local wav="$out/$lang/$key.wav" stamp="$out/.stamps/$lang/$key"
	local want="v$STAMP_VERSION speed=$SPEED voice=$lang text=$text"
	if [ "${FORCE:-0}" != 1 ] && [ -f "$wav" ] && [ -f "$stamp" ] && [ "$(<"$stamp")" = "$want" ]; then
		return 0
	fi
	mkdir -p "$(dirname "$wav")" "$(dirname "$stamp")"
	# Global, not local: the EXIT trap that removes it runs after say returns.
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/vaihde-prompt.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	# The final rename keeps a half-written WAV from ever being seen under its real name.
	if [ "$text" = "-" ]; then
		# Nothing is said in this language: a short silence keeps the catalog complete.
		sox -q -D -n -r 8000 -c 1 -b 16 -e signed-integer "$tmp/out.wav" trim 0 0.05
	else
		printf '%s' "$text" | espeak-ng -v "$lang" -s "$SPEED" --stdin -w "$tmp/raw.wav"
		sox -q "$tmp/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$tmp/out.wav" \
			silence 1 0.01 0.1% reverse silence 1 0.01 0.1% reverse pad 0.05 0.05 gain -n -3
	fi
	mv "$tmp/out.wav" "$wav"
	printf '%s' "$want" >"$stamp"
}

if [ "${1:-}" = "--one" ]; then
	shift
	say "$@"
	exit 0
fi

# Checked first, with shell built-ins only, so the message is the first thing a bare machine sees.
missing=()
for tool in espeak-ng sox; do
	command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "prompts: missing ${missing[*]}: install the Debian packages (make deps, or apt-get install espeak-ng sox)" >&2
	exit 1
fi

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/assets/prompts}
tsv=${PROMPTS_TSV:-$root/packaging/prompts.tsv}
langs=(${PROMPT_LANGS:-fi sv en})

for lang in "${langs[@]}"; do
	case $lang in
	fi | sv | en) ;;
	*)
		echo "prompts: unknown language $lang (known: fi sv en)" >&2
		exit 1
		;;
	esac
	if ! espeak-ng --voices="$lang" | awk 'NR > 1 {print $2}' | grep -qx "$lang"; then
		echo "prompts: espeak-ng has no voice for $lang" >&2
		exit 1
	fi
done
[ -r "$tsv" ] || {
	echo "prompts: cannot read $tsv" >&2
	exit 1
}

declare -A wanted=()
for k in ${PROMPT_KEYS:-}; do wanted[$k]=1; done

# Build the job list (NUL-separated quadruples) while checking the file's shape.
jobs_file=$(mktemp "${TMPDIR:-/tmp}/vaihde-prompts.XXXXXX")
trap 'rm -f "$jobs_file"' EXIT
declare -A seen=()
n=0 line=0
while IFS= read -r row || [ -n "$row" ]; do
	line=$((line + 1))
	case $row in '' | '#'*) continue ;; esac
	IFS=$'\t' read -r key fi sv en extra <<<"$row"
	if [ -z "$key" ] || [ -z "$fi" ] || [ -z "$sv" ] || [ -z "$en" ] || [ -n "${extra:-}" ]; then
		echo "prompts: $tsv:$line: want 4 TAB-separated columns (key fi sv en)" >&2
		exit 1
	fi
	if [[ ! $key =~ ^[a-z0-9_]+(/[a-z0-9_]+)*$ ]]; then
		echo "prompts: $tsv:$line: bad key \"$key\" (want lower-case words joined by /)" >&2
		exit 1
	fi
	if [ -n "${seen[$key]:-}" ]; then
		echo "prompts: $tsv:$line: duplicate key $key" >&2
		exit 1
	fi
	seen[$key]=1
	if [ ${#wanted[@]} -gt 0 ] && [ -z "${wanted[$key]:-}" ]; then
		continue
	fi
	for lang in "${langs[@]}"; do
		case $lang in fi) text=$fi ;; sv) text=$sv ;; en) text=$en ;; esac
		printf '%s\0%s\0%s\0%s\0' "$lang" "$key" "$text" "$out" >>"$jobs_file"
		n=$((n + 1))
	done
done <"$tsv"

for k in "${!wanted[@]}"; do
	if [ -z "${seen[$k]:-}" ]; then
		echo "prompts: PROMPT_KEYS names $k, which $tsv does not have" >&2
		exit 1
	fi
done

jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
start=$SECONDS
if ! xargs -0 -n 4 -P "$jobs" bash "${BASH_SOURCE[0]}" --one <"$jobs_file"; then
	echo "prompts: generating prompts failed (espeak-ng or sox error above)" >&2
	exit 1
fi

# A full run also removes prompts whose key left the text file, so the catalog offers no stale
# keys. Administrators' recordings (custom/) are never touched.
pruned=0
if [ ${#wanted[@]} -eq 0 ]; then
	for lang in "${langs[@]}"; do
		[ -d "$out/$lang" ] || continue
		while IFS= read -r -d '' wav; do
			key=${wav#"$out/$lang/"}
			key=${key%.wav}
			if [ -z "${seen[$key]:-}" ]; then
				rm -f "$wav" "$out/.stamps/$lang/$key"
				pruned=$((pruned + 1))
			fi
		done < <(find "$out/$lang" -name '*.wav' -type f -print0)
		find "$out/$lang" "$out/.stamps/$lang" -mindepth 1 -type d -empty -delete 2>/dev/null || true
	done
fi
[ "$pruned" -eq 0 ] || echo "prompts: removed $pruned prompt(s) no longer in $tsv"
echo "prompts: $n prompts (${langs[*]}) up to date in $out ($((SECONDS - start)) s)"
