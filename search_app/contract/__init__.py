"""What people and programs are shown of the library's results: the JSON API's bodies (the contract of
``../shared/API.md``), highlights as escaped HTML with ``<mark>``, links to measures and plan pages, exports and the
OpenAPI document. Shared by the web app and the command line; no web framework is imported here.
"""
