#!/usr/bin/python3
"""Loads the generated patients (hw-sim/gen/generate.py) into the simulated PACS over REST.

Usage: load.py --port HTTP_PORT --credentials FILE --data GENDIR [--with-big]

POSTs every instance listed in GENDIR/patients.json to http://127.0.0.1:PORT/instances on one
kept-alive connection, with HTTP basic authentication from FILE ("user:password", one line).
Prints the number of instances loaded; exits non-zero if any instance was refused.
"""

import argparse
import base64
import http.client
import json
import os
import sys

MAX_FILE = 64 << 20  # our own generated files; anything bigger is not ours


def main():
	ap = argparse.ArgumentParser()
	ap.add_argument("--port", type=int, required=True)
	ap.add_argument("--credentials", required=True)
	ap.add_argument("--data", required=True)
	ap.add_argument("--with-big", action="store_true")
	args = ap.parse_args()
	with open(args.credentials, encoding="utf-8") as f:
		cred = f.readline().strip()
	auth = "Basic " + base64.b64encode(cred.encode()).decode()
	with open(os.path.join(args.data, "patients.json"), encoding="utf-8") as f:
		doc = json.load(f)
	paths = []
	for p in doc["patients"]:
		if p.get("big") and not args.with_big:
			continue
		for st in p["studies"]:
			for se in st["series"]:
				paths += [i["path"] for i in se["instances"]]
	conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=60)
	loaded = 0
	for rel in paths:
		path = os.path.join(args.data, rel)
		if os.path.getsize(path) > MAX_FILE:
			print("load.py: %s is larger than %d bytes; not ours" % (path, MAX_FILE),
				file=sys.stderr)
			return 1
		with open(path, "rb") as f:
			body = f.read()
		conn.request("POST", "/instances", body=body, headers={
			"Authorization": auth, "Content-Type": "application/dicom",
			"Connection": "keep-alive"})
		r = conn.getresponse()
		answer = r.read(1 << 20)
		if r.status != 200:
			print("load.py: the PACS refused %s: HTTP %d %s" % (rel, r.status,
				answer[:300].decode("utf-8", "replace")), file=sys.stderr)
			return 1
		loaded += 1
	conn.close()
	print(loaded)
	return 0


if __name__ == "__main__":
	sys.exit(main())
