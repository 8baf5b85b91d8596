"""contract.py - checks live answers against an OpenAPI 3.1 document.

An answer's status must be one the operation documents, its content type one
that status documents, and a JSON body must fit the schema (jsonschema, draft
2020-12, with the document's components). Used by contract_check.py (the local
server) and tests/cloud/cloud_check.py (Pluto Cloud).
"""
import json
import re

import jsonschema
from openapi_spec_validator import validate as validate_spec


class Contract:
    def __init__(self, spec, base_path=""):
        validate_spec(spec)
        self.spec = spec
        self.base = base_path  # the document's server path, cut from request paths
        self.ops = []
        for template, item in spec["paths"].items():
            rx = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            for method in item:
                self.ops.append((method.upper(), re.compile(rx), template))
        self.called = set()
        self.problems = []

    def operation(self, method, path):
        path = path.split("?")[0]
        if self.base and path.startswith(self.base):
            path = path[len(self.base):]
        for m, rx, template in self.ops:
            if m == method and rx.match(path):
                return template
        return None

    def check(self, method, path, status, ctype, body):
        template = self.operation(method, path)
        if template is None:
            self.problems.append(f"not in the document: {method} {path}")
            return
        self.called.add((method, template))
        op = self.spec["paths"][template][method.lower()]
        resp = op["responses"].get(str(status))
        if resp is None:
            self.problems.append(f"{method} {path}: {status} is not documented "
                                 f"(documented: {', '.join(op['responses'])})")
            return
        if "$ref" in resp:
            resp = self.spec["components"]["responses"][resp["$ref"].split("/")[-1]]
        content = resp.get("content", {})
        if not content:
            if body:
                self.problems.append(f"{method} {path}: {status} has a body, documented none")
            return
        media = (ctype or "").split(";")[0].strip()
        if media not in content:
            self.problems.append(f"{method} {path}: {status} answered {media}, documented {list(content)}")
            return
        if media != "application/json":
            return
        schema = dict(content[media]["schema"])
        schema["components"] = self.spec["components"]
        try:
            jsonschema.Draft202012Validator(schema).validate(json.loads(body))
        except jsonschema.ValidationError as e:
            where = "/".join(str(p) for p in e.absolute_path)
            self.problems.append(f"{method} {path}: {status} body at '{where}': {e.message[:300]}")

    def never_called(self):
        return sorted((m, t) for m, _, t in self.ops if (m, t) not in self.called)
