#!/usr/bin/env python3
"""One DAP session through cdt-gdb-adapter's remote target, as VS Code's
Eclipse CDT GDB adapter runs it: initialize, attach to a gdbserver
(`target: {type: remote, parameters: [HOST:PORT]}`), a source breakpoint,
configurationDone, then at the stop: threads, stackTrace, scopes and
variables, evaluate, readMemory; continue to the program's exit.

  session.py ADAPTER_JS GDB PROGRAM SOURCE LINE PORT

Prints one line per result for the caller to check (`stopped ...`,
`frame N NAME`, `local NAME=VALUE`, `register rip=...`, `evaluate counter=...`,
`memory ADDR HEX`, `console [Inferior 1 (process N) exited ...]`), and exits non-zero on a DAP error or timeout,
with the transcript on stderr."""

import base64
import json
import subprocess
import sys
import threading
import queue

adapter, gdb, program, source, line, port = sys.argv[1:7]
proc = subprocess.Popen(["node", adapter], stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
messages = queue.Queue()
transcript = []


def reader():
    out = proc.stdout
    while True:
        header = b""
        while not header.endswith(b"\r\n\r\n"):
            b = out.read(1)
            if not b:
                messages.put(None)
                return
            header += b
        length = int([h for h in header.decode().split("\r\n")
                      if h.lower().startswith("content-length")][0].split(":")[1])
        messages.put(json.loads(out.read(length)))


threading.Thread(target=reader, daemon=True).start()
seq = 0


def send(command, arguments=None):
    global seq
    seq += 1
    body = json.dumps({"seq": seq, "type": "request", "command": command,
                       "arguments": arguments or {}}).encode()
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    proc.stdin.flush()
    return seq


def fail(why):
    sys.stderr.write("DAP session failed: %s\n" % why)
    for m in transcript[-60:]:
        sys.stderr.write(json.dumps(m)[:400] + "\n")
    proc.kill()
    sys.exit(1)


pending_events = []


def wait(pred, what, timeout=30):
    for m in list(pending_events):
        if pred(m):
            pending_events.remove(m)
            return m
    while True:
        try:
            m = messages.get(timeout=timeout)
        except queue.Empty:
            fail("timed out waiting for " + what)
        if m is None:
            fail("adapter ended waiting for " + what)
        transcript.append(m)
        if pred(m):
            return m
        if m.get("type") == "event":
            pending_events.append(m)


def request(command, arguments=None):
    n = send(command, arguments)
    r = wait(lambda m: m.get("type") == "response" and m.get("request_seq") == n,
             "the reply to " + command)
    if not r.get("success"):
        fail("%s: %s" % (command, r.get("message")))
    return r.get("body") or {}


def event(name):
    return wait(lambda m: m.get("type") == "event" and m.get("event") == name,
                "event " + name)


request("initialize", {"adapterID": "gdb", "clientID": "rgdbserver-test",
                       "linesStartAt1": True, "columnsStartAt1": True,
                       "pathFormat": "path"})
send("attach", {"program": program, "gdb": gdb,
                "target": {"type": "remote", "parameters": ["127.0.0.1:" + port]}})
event("initialized")
bps = request("setBreakpoints", {"source": {"path": source},
                                 "breakpoints": [{"line": int(line)}]})
print("breakpoint verified=%s line=%s" % (bps["breakpoints"][0].get("verified"),
                                          bps["breakpoints"][0].get("line")))
request("configurationDone")
stopped = event("stopped")["body"]
print("stopped reason=%s" % stopped.get("reason"))
threads = request("threads")["threads"]
print("threads %d" % len(threads))
tid = stopped.get("threadId", threads[0]["id"])
frames = request("stackTrace", {"threadId": tid})["stackFrames"]
for i, f in enumerate(frames):
    print("frame %d %s line=%s" % (i, f["name"], f.get("line")))
scopes = request("scopes", {"frameId": frames[0]["id"]})["scopes"]
for scope in scopes:
    if not scope.get("variablesReference"):
        continue
    for v in request("variables", {"variablesReference": scope["variablesReference"]})["variables"]:
        if scope["name"] != "Registers":
            print("local %s=%s" % (v["name"], v["value"]))
        elif v["name"] in ("rip", "pc"):
            print("register %s=%s" % (v["name"], v["value"]))
value = request("evaluate", {"expression": "counter", "frameId": frames[0]["id"],
                             "context": "watch"})
print("evaluate counter=%s" % value["result"])
addr = request("evaluate", {"expression": "&counter", "frameId": frames[0]["id"],
                            "context": "watch"})["result"].split()[0]
mem = request("readMemory", {"memoryReference": addr, "count": 4})
print("memory %s %s" % (mem["address"], base64.b64decode(mem.get("data", "")).hex()))
request("continue", {"threadId": tid})
# The adapter says how the program ended in gdb's own words (console
# output), then ends the session.
event("terminated")
for m in transcript:
    out = m.get("body", {}).get("output", "") if m.get("event") == "output" else ""
    if "exited" in out:
        print("console " + out.strip())
proc.stdin.close()
proc.wait(timeout=10)
