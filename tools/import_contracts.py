"""import-linter contract types of keras_initact's own (setup.cfg names them
under `contract_types`).

import-linter models an external package as one node (`keras`), so its
`forbidden` contract cannot name `keras.src`. `PrivateSubmoduleContract`
reads the import statements themselves: only the `allowed` modules may
import `private` (a dotted prefix, e.g. `keras.src`).
"""

from importlinter import Contract, ContractCheck, fields, output


class PrivateSubmoduleContract(Contract):
    """Only `allowed` import from `private`, a submodule of an external
    package (`private = keras.src`, `allowed = keras_initact.keras_adapter`)."""

    private = fields.StringField()
    allowed = fields.ListField(subfield=fields.StringField())

    def check(self, graph, verbose):
        package = self.private.split(".")[0]
        violations = []
        for importer in sorted(graph.find_modules_that_directly_import(
                package)):
            if importer in self.allowed:
                continue
            for detail in graph.get_import_details(
                    importer=importer, imported=package):
                statement = detail["line_contents"]
                if _names(statement, self.private):
                    violations.append(
                        (importer, detail["line_number"], statement))
        return ContractCheck(kept=not violations,
                             metadata={"violations": violations})

    def render_broken_contract(self, check):
        for importer, line, statement in check.metadata["violations"]:
            output.print_error(
                f"{importer}:{line} imports {self.private} ({statement!r}); "
                f"only {', '.join(self.allowed)} may.")
            output.new_line()


def _names(statement, private):
    words = statement.replace(",", " ").split()
    return any(word == private or word.startswith(private + ".")
               for word in words)
