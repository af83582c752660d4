"""Decision apps: a promoted notebook run on demand by whoever opens it, as that person.

`kernels.py` keeps kernels started ahead of need (each used by one run, then shut down), `runner.py` runs a
notebook version with a viewer's parameters in one of them, `render.py` turns its outputs into the page a
viewer reads. The rules (who publishes, who runs, caching, audit) are the service's: `service/apps.py`.
"""
