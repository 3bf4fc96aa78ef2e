# Lines for config/settings.py: everything the stack hands the task comes from the environment.
import os

import dj_database_url

SECRET_KEY = os.environ["SECRET_KEY"]
DEBUG = os.environ.get("DEBUG", "False") == "True"
ALLOWED_HOSTS = [h for h in os.environ.get("ALLOWED_HOSTS", "localhost").split(",") if h]

# postgis://user:password@endpoint:5432/name -> django.contrib.gis.db.backends.postgis
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}

INSTALLED_APPS = [
    # ...
    "django.contrib.gis",
]

MIDDLEWARE = [
    "health.HealthCheckMiddleware",  # first: answers /health before host validation
    "django.middleware.security.SecurityMiddleware",
    # ...
]
