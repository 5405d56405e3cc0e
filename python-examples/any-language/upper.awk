# A multilang bolt with no adapter: plain POSIX awk (tested with mawk and gawk).
#
# It speaks Squall's ndjson serializer (topology.multilang.serializer: ndjson): the same
# messages as Storm's multilang protocol, one JSON object per line in each direction, no
# "end" lines. It
#   - answers the handshake {"pidDir":...,"conf":...,"context":...}: creates the empty file
#     <pidDir>/<pid> and replies {"pid":N} (N comes from upper.sh, which execs awk);
#   - answers heartbeats (task -1, stream "__heartbeat") with {"command":"sync"};
#   - acks tick tuples (stream "__tick");
#   - for every other tuple emits a copy with the letters of its strings upper-cased,
#     anchored to the input, then acks the input.
# Emits say "need_task_ids":false, so the parent sends no task-id lists; any line starting
# with "[" (a task-id list) is ignored anyway.
#
# JSON is handled with string functions: this relies on ids being plain strings without
# escapes and on "tuple" being a JSON array, which is what Squall sends.

# The value of the string field "key" (first occurrence), without unescaping except "\/".
function str_field(line, key,    pat, v) {
    pat = "\"" key "\":\""
    if (!match(line, pat "[^\"]*\"")) return ""
    v = substr(line, RSTART + length(pat), RLENGTH - length(pat) - 1)
    gsub(/\\\//, "/", v)
    return v
}

# The JSON array that follows "tuple": with the letters inside its strings upper-cased.
# Escape sequences (\n, \", \u00e9, ...) are copied unchanged.
function upper_tuple(line,    start, i, n, c, depth, in_str, out) {
    start = index(line, "\"tuple\":")
    if (start == 0) return "[]"
    i = start + 8
    n = length(line)
    depth = 0; in_str = 0; out = ""
    for (; i <= n; i++) {
        c = substr(line, i, 1)
        if (in_str) {
            if (c == "\\") {
                # \uXXXX is copied whole, any other escape is two characters
                if (substr(line, i + 1, 1) == "u") { out = out substr(line, i, 6); i += 5 }
                else { out = out substr(line, i, 2); i++ }
                continue
            }
            if (c == "\"") in_str = 0
            out = out toupper(c)
            continue
        }
        out = out c
        if (c == "\"") in_str = 1
        else if (c == "[" || c == "{") depth++
        else if (c == "]" || c == "}") { if (--depth == 0) break }
    }
    return out
}

{ sub(/\r$/, "") }

/^[ \t]*$/ { next }

/^\[/ { next }    # a task-id list (never asked for)

!handshaken {
    dir = str_field($0, "pidDir")
    if (dir != "") {
        pidfile = dir "/" pid
        printf "" > pidfile
        close(pidfile)
    }
    printf "{\"pid\":%d}\n", pid
    fflush()
    handshaken = 1
    next
}

/"stream":"__heartbeat"/ {
    print "{\"command\":\"sync\"}"
    fflush()
    next
}

{
    id = str_field($0, "id")
    if ($0 !~ /"stream":"__tick"/)
        printf "{\"command\":\"emit\",\"anchors\":[\"%s\"],\"tuple\":%s,\"need_task_ids\":false}\n", id, upper_tuple($0)
    printf "{\"command\":\"ack\",\"id\":\"%s\"}\n", id
    fflush()
}
