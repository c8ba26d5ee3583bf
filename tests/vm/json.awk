# A strict JSON (RFC 8259) checker for the tests, in awk because the guest
# has no other parser: `awk -f json.awk FILE` checks that FILE is one JSON
# text; with `-v lines=1` that each line is one (JSON Lines).  Duplicate
# keys in an object are refused too.  Prints what is wrong and where, and
# exits 1, or exits 0 silently.

function fail(msg) {
	if (!bad)
		bad = msg " at offset " P
	return 0
}

function ws() {
	while (P <= L && index(" \t\n\r", substr(S, P, 1)))
		P++
}

function str(   c, d, from) {
	from = ++P
	for (;;) {
		if (P > L)
			return fail("unterminated string")
		c = substr(S, P, 1)
		if (c == "\"") {
			STR = substr(S, from, P - from)
			P++
			return 1
		}
		if (c < " ")
			return fail("control character in a string")
		if (c == "\\") {
			d = substr(S, P + 1, 1)
			if (d != "" && index("\"\\/bfnrt", d))
				P += 2
			else if (d == "u" && substr(S, P + 2, 4) ~ /^[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]$/)
				P += 6
			else
				return fail("bad escape")
			continue
		}
		P++
	}
}

function number() {
	if (match(substr(S, P), /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/) && RLENGTH > 0) {
		P += RLENGTH
		return 1
	}
	return fail("value expected")
}

function object(   id, c) {
	id = ++objects
	P++
	ws()
	if (substr(S, P, 1) == "}") {
		P++
		return 1
	}
	for (;;) {
		ws()
		if (substr(S, P, 1) != "\"")
			return fail("key expected")
		if (!str())
			return 0
		if ((id, STR) in keys)
			return fail("duplicate key \"" STR "\"")
		keys[id, STR] = 1
		ws()
		if (substr(S, P, 1) != ":")
			return fail("':' expected")
		P++
		if (!value())
			return 0
		ws()
		c = substr(S, P, 1)
		P++
		if (c == "}")
			return 1
		if (c != ",")
			return fail("',' or '}' expected")
	}
}

function array(   c) {
	P++
	ws()
	if (substr(S, P, 1) == "]") {
		P++
		return 1
	}
	for (;;) {
		if (!value())
			return 0
		ws()
		c = substr(S, P, 1)
		P++
		if (c == "]")
			return 1
		if (c != ",")
			return fail("',' or ']' expected")
	}
}

function value(   c) {
	ws()
	if (P > L)
		return fail("value expected")
	c = substr(S, P, 1)
	if (c == "{")
		return object()
	if (c == "[")
		return array()
	if (c == "\"")
		return str()
	if (substr(S, P, 4) == "true" || substr(S, P, 4) == "null") {
		P += 4
		return 1
	}
	if (substr(S, P, 5) == "false") {
		P += 5
		return 1
	}
	return number()
}

function check(text, where) {
	S = text
	L = length(S)
	P = 1
	bad = ""
	if (value()) {
		ws()
		if (P <= L)
			fail("trailing data")
	}
	if (bad) {
		print "json: " where ": " bad > "/dev/stderr"
		failed = 1
	}
}

lines {
	check($0, "line " NR)
	n++
	next
}

{
	all = all $0 "\n"
	n++
}

END {
	if (!n) {
		print "json: no input" > "/dev/stderr"
		exit 1
	}
	if (!lines)
		check(all, FILENAME)
	exit failed
}
