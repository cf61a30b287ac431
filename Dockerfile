FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=amrutam.settings.production

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
RUN DATABASE_URL=postgres://build@localhost/build REDIS_URL=redis://localhost:6379/0 \
    JWT_SECRET=build-only-secret-not-used-at-runtime-000000 \
    ENCRYPTION_KEY=build-only-key-not-for-runtime!! ALLOWED_HOSTS=build \
    PAYMENT_GATEWAY=sandbox RAZORPAY_KEY_ID=build RAZORPAY_KEY_SECRET=build-only \
    RAZORPAY_WEBHOOK_SECRET=build-only \
    python manage.py collectstatic --noinput \
 && useradd --create-home --uid 10001 amrutam \
 && chown -R amrutam /app
USER amrutam

EXPOSE 8000
# Migrations are a step of their own before the rollout (docker-compose's `migrate`,
# the Kubernetes migration Job), never run by each web container as it starts.
CMD ["gunicorn", "amrutam.wsgi"]
