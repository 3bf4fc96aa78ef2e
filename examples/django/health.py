"""Answer the load balancer's health check before Django validates the Host header.

The ALB's health check sends `Host: <task private IP>:8000`. That IP is not in ALLOWED_HOSTS, so
Django answers 400, the target is marked unhealthy, and the ECS circuit breaker rolls the deploy back.
Put this middleware first in MIDDLEWARE: it answers /health itself, before CommonMiddleware calls
request.get_host().
"""
from django.db import connection
from django.http import HttpResponse


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/health":
            # A cheap query proves the database answers; remove it if the DB should not gate traffic.
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return HttpResponse("ok", content_type="text/plain")
        return self.get_response(request)
