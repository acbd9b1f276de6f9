"""Opens the audit scope of a request: the client's address for every row the
request writes, and one insert for the rows it deferred (audit.services)."""

from core.security import client_ip

from .services import request_scope


class AuditScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_scope(remote_addr=client_ip(request), path=request.path, method=request.method):
            return self.get_response(request)
