#!/bin/sh
# Starts the awk bolt. exec replaces this shell with awk, so $$ is awk's own pid, which the
# bolt reports in the handshake (awk has no portable way to learn its pid).
# mawk reads its input in blocks unless told to be interactive; the bolt must see each line
# as soon as it arrives.
case "$(awk -W version 2>&1 </dev/null)" in
    *mawk*) exec awk -W interactive -v pid="$$" -f upper.awk ;;
    *) exec awk -v pid="$$" -f upper.awk ;;
esac
