"""``README.txt``: what an evidence bundle is, and how a third party verifies it without govledger.

The text is deterministic (no clock, no host): the same bundle always gets the same README, so
the manifest can sign it and ``verify-bundle`` can rebuild it. Plain ASCII, at most 100 columns
but for the log key and key ids, which are quoted whole. Each program in it is delimited by
``--- begin NAME ---`` and ``--- end NAME ---`` lines and runs as given from the bundle folder.
"""

from __future__ import annotations

from collections.abc import Sequence

from api.exports import layout

__all__ = ["readme_text"]

_FILES = (
    (layout.README, "This file."),
    (
        layout.MANIFEST,
        "The manifest: a DSSE envelope (payloadType application/vnd.in-toto+json) holding an "
        "in-toto Statement v1 that lists the SHA-256 of every other file of the bundle, signed "
        "by an event-signing key of the ledger.",
    ),
    (
        layout.CHECKPOINT,
        "The transparency log's checkpoint (C2SP tlog-checkpoint, a signed note): origin, tree "
        "size and root hash, signed by the log key.",
    ),
    (layout.LOG_VKEY, "The log key that signs checkpoints, as a note verifier key."),
    (
        f"{layout.EVENT_KEYS_DIR}/<hex>.pem",
        "The public key of each event-signing key of the ledger's key history; its key id is "
        "sha256:<hex>, the SHA-256 (hex) of the key's DER SubjectPublicKeyInfo.",
    ),
    (
        layout.EVENTS,
        'One signed event per line, in log order: {"envelope":<DSSE envelope>,"leaf_index":N}. '
        "The envelope's bytes in the line are the bytes the log holds.",
    ),
    (
        layout.PROOFS,
        'One RFC 9162 inclusion proof per event, same order: {"hashes":[<base64>...],'
        '"leaf_index":N,"tree_size":<checkpoint size>}.',
    ),
    (layout.OPENLINEAGE, "Lineage as OpenLineage 2-0-2 RunEvents, one per line."),
    (layout.PROV, "Lineage as W3C PROV-JSON."),
    (layout.MODEL_CARD, "A Model Card Toolkit (schema v0.0.2) model card."),
    (layout.ANNEX_IV, "EU AI Act Annex IV technical documentation, from the events."),
    (layout.SR11_7, "SR 11-7 model risk documentation, from the events."),
    (layout.CROSSWALK, "Which event supports which requirement."),
    (layout.RISK_REGISTER, "The model's risks and their mitigations (CSV)."),
    (layout.PREDICTIONS, "The predictions extract, with their proofs."),
)

_SIGNATURES_PROGRAM = """\
import glob, hashlib, json, os, sys
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey

keys = []
for path in sorted(glob.glob("keys/event-signers/*.pem")):
    with open(path, "rb") as f:
        public_key = load_pem_public_key(f.read())
    stem = os.path.basename(path)[: -len(".pem")]
    keys.append(SSlibKey.from_crypto(public_key, keyid="sha256:" + stem))

with open("manifest.dsse.json") as f:
    manifest = Envelope.from_dict(json.load(f))
manifest.verify(keys, 1)  # raises unless one of the keys above signed it
statement = json.loads(manifest.payload)
assert statement["_type"] == "https://in-toto.io/Statement/v1"
for subject in statement["subject"]:
    with open(subject["name"], "rb") as f:
        if hashlib.sha256(f.read()).hexdigest() != subject["digest"]["sha256"]:
            sys.exit(f"{subject['name']}: sha256 does not match the manifest")

with open("events.jsonl") as f:
    for number, line in enumerate(f, 1):
        try:
            Envelope.from_dict(json.loads(line)["envelope"]).verify(keys, 1)
        except Exception as exc:
            sys.exit(f"events.jsonl line {number}: {exc}")
print("the manifest, every listed file and every event verify")
"""

_PROOFS_PROGRAM = """\
package main

import (
    "bufio"
    "encoding/base64"
    "encoding/json"
    "fmt"
    "log"
    "os"
    "path/filepath"
    "strconv"
    "strings"

    "golang.org/x/mod/sumdb/note"
    "golang.org/x/mod/sumdb/tlog"
)

func main() {
    if len(os.Args) != 2 {
        log.Fatal("usage: go run . /path/to/the/bundle/folder")
    }
    bundle := os.Args[1] // the bundle folder
    vkey, err := os.ReadFile(filepath.Join(bundle, "keys", "log.vkey"))
    check(err)
    verifier, err := note.NewVerifier(strings.TrimSpace(string(vkey)))
    check(err)
    signed, err := os.ReadFile(filepath.Join(bundle, "checkpoint.txt"))
    check(err)
    n, err := note.Open(signed, note.VerifierList(verifier))
    check(err)
    lines := strings.Split(n.Text, "\\n") // origin, tree size, base64 root hash
    if lines[0] != verifier.Name() {
        log.Fatalf("checkpoint origin %q is not the log key's name", lines[0])
    }
    size, err := strconv.ParseInt(lines[1], 10, 64)
    check(err)
    root := hash(lines[2])

    events, err := os.Open(filepath.Join(bundle, "events.jsonl"))
    check(err)
    proofs, err := os.Open(filepath.Join(bundle, "proofs.jsonl"))
    check(err)
    eventLines, proofLines := bufio.NewScanner(events), bufio.NewScanner(proofs)
    eventLines.Buffer(make([]byte, 1<<20), 1<<26)
    count := 0
    for eventLines.Scan() {
        if !proofLines.Scan() {
            log.Fatal("fewer proofs than events")
        }
        var event struct {
            Envelope  json.RawMessage `json:"envelope"` // the envelope bytes, verbatim
            LeafIndex int64           `json:"leaf_index"`
        }
        var proof struct {
            Hashes    []string `json:"hashes"`
            LeafIndex int64    `json:"leaf_index"`
            TreeSize  int64    `json:"tree_size"`
        }
        check(json.Unmarshal(eventLines.Bytes(), &event))
        check(json.Unmarshal(proofLines.Bytes(), &proof))
        if proof.LeafIndex != event.LeafIndex || proof.TreeSize != size {
            log.Fatalf("proof %d is not for leaf %d in this checkpoint", count+1, event.LeafIndex)
        }
        var path tlog.RecordProof
        for _, h := range proof.Hashes {
            path = append(path, hash(h))
        }
        leaf := tlog.RecordHash(event.Envelope) // SHA-256(0x00 || envelope bytes)
        check(tlog.CheckRecord(path, size, root, event.LeafIndex, leaf))
        count++
    }
    check(eventLines.Err())
    if proofLines.Scan() {
        log.Fatal("more proofs than events")
    }
    fmt.Printf("checkpoint verifies; %d events are in the log of %d leaves\\n", count, size)
}

func hash(b64 string) tlog.Hash {
    raw, err := base64.StdEncoding.DecodeString(b64)
    check(err)
    var h tlog.Hash
    if len(raw) != len(h) {
        log.Fatalf("%q is not a 32-byte hash", b64)
    }
    copy(h[:], raw)
    return h
}

func check(err error) {
    if err != nil {
        log.Fatal(err)
    }
}
"""

_SCHEMAS_PROGRAM = """\
import json, os
from jsonschema.validators import validator_for

SCHEMAS = os.path.dirname(os.path.abspath(__file__))  # the schemas are saved next to this file

def validator(schema_file, schema_changes=None):
    with open(os.path.join(SCHEMAS, schema_file)) as f:
        schema = {**json.load(f), **(schema_changes or {})}
    return validator_for(schema)(schema)

# Each line is a RunEvent: validate against that definition of the OpenLineage schema.
run_event = validator("OpenLineage.json", {"oneOf": [{"$ref": "#/$defs/RunEvent"}]})
with open("lineage.openlineage.jsonl") as f:
    for line in f:
        run_event.validate(json.loads(line))
with open("lineage.prov.json") as f:
    validator("prov-json.schema.json").validate(json.load(f))
with open("model_card.json") as f:
    validator("model_card.schema.json").validate(json.load(f))
print("the lineage and the model card are valid")
"""

_SCHEMA_URLS = (
    ("OpenLineage.json", "https://openlineage.io/spec/2-0-2/OpenLineage.json"),
    ("prov-json.schema.json", "https://www.w3.org/submissions/prov-json/schema"),
    (
        "model_card.schema.json",
        "https://github.com/tensorflow/model-card-toolkit, file\n"
        "      model_card_toolkit/schema/v0.0.2/model_card.schema.json",
    ),
)


def readme_text(
    *,
    model: str,
    origin: str,
    size: int,
    root_b64: str,
    event_keyids: Sequence[str],
    log_vkey: str,
) -> bytes:
    """The README of ``model``'s bundle, proven in the checkpoint ``origin``/``size``/root.

    ``event_keyids`` are the ``sha256:<hex>`` ids of the bundle's event keys, ``log_vkey`` the
    log key's verifier key. Non-ASCII characters of the arguments are written as escapes.
    """
    keys = "\n".join(f"    {keyid}" for keyid in event_keyids) or "    (none)"
    text = f"""\
Evidence bundle of model {model}
{"=" * min(100, 25 + len(model))}

This folder is evidence about the model {model}, taken from a govledger ledger: the signed
events that record the model's history, each proven to be in the ledger's append-only
transparency log, and documents built from those events alone. Anyone can check all of it
offline, with public tools, without govledger, its server or its database.

The log, at the checkpoint this bundle is proven in:

    origin     {origin}
    tree size  {size}
    root hash  {root_b64}  (base64 of the RFC 9162 SHA-256 root)

Log key (keys/log.vkey):

    {log_vkey}

Event-signing keys (keys/event-signers/<hex>.pem holds the key sha256:<hex>):

{keys}

The bundle proves these keys signed what it holds. Before trusting it, check that the log key and
the event keys are the ones the ledger's operator published: compare them with the copy you
obtained from the operator, not with this folder.

Files
-----

{_files_section()}

How to verify
-------------

Save each program below in a folder of its own, outside this one (a file added here is a file the
manifest does not list), and run it as its step says. Each fails loudly on the first thing that
does not verify.

1. The manifest, every file it lists, and every event's signature (Python, with
   securesystemslib and cryptography: pip install securesystemslib cryptography; run
   python3 /path/to/verify_signatures.py from this folder).

   The manifest is a DSSE envelope signed by one of the event keys; its payload, an in-toto
   Statement v1, gives each other file's SHA-256 (you can also compare each with the output of
   sha256sum FILE). Each line of {layout.EVENTS} holds one event's DSSE envelope, signed by the
   event key in force at its leaf. A key's id is "sha256:" followed by the hex SHA-256 of the
   key's DER SubjectPublicKeyInfo, e.g. for a PEM file F:
   openssl pkey -pubin -in F -outform DER | sha256sum

--- begin verify_signatures.py ---
{_SIGNATURES_PROGRAM}--- end verify_signatures.py ---

   Each event's payload (JSON) also names its aggregate, version and "prev", the SHA-256 (hex)
   of the previous envelope of the same aggregate (null for version 1): for each aggregate, the
   events of {layout.EVENTS} form an unbroken chain 1, 2, ... n.

2. The checkpoint and the inclusion proofs (Go, with golang.org/x/mod/sumdb/note and
   golang.org/x/mod/sumdb/tlog; in the program's folder: go mod init check_proofs,
   go get golang.org/x/mod, then go run . /path/to/this/folder).

   note.NewVerifier reads {layout.LOG_VKEY}; note.Open checks the checkpoint's signature; the
   checkpoint's first line, its origin, must be the key's name. Each proof is an RFC 9162
   inclusion proof of the event's leaf hash, SHA-256(0x00 || envelope bytes), which is
   tlog.RecordHash of the envelope bytes, at its leaf index in the checkpoint's tree:
   tlog.CheckRecord checks it. Any RFC 9162 (RFC 6962) implementation can do the same.

--- begin check_proofs.go ---
{_PROOFS_PROGRAM}--- end check_proofs.go ---

3. The lineage and the model card against their official schemas (Python, with jsonschema:
   pip install jsonschema; run python3 /path/to/check_schemas.py from this folder). Save the
   official schemas next to the program first, under these names:

{_schemas_section()}

--- begin check_schemas.py ---
{_SCHEMAS_PROGRAM}--- end check_schemas.py ---

4. Or all of it at once, with govledger installed (no server, no database needed):

       govledger verify-bundle DIR

   does steps 1 to 3 and more: it checks every event's key window (the key history's rotations)
   and chain, then rebuilds every document of the bundle from the verified events and compares
   it, byte for byte, with the file in the bundle.
"""
    return text.encode("ascii", "backslashreplace")


def _files_section() -> str:
    return "\n".join(f"{name}\n{_wrapped(description, 4)}" for name, description in _FILES)


def _schemas_section() -> str:
    return "\n".join(f"   {name}\n      {url}" for name, url in _SCHEMA_URLS)


def _wrapped(text: str, indent: int, width: int = 96) -> str:
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and indent + len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    lines.append(line)
    return "\n".join(" " * indent + line for line in lines)
