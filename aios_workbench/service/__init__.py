"""The workbench service: the governed core behind every surface. `core.WorkbenchService` is the one
façade; surfaces (REST, CLI, dashboard) call its methods and nothing below it."""
