from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "payments"
    verbose_name = "Payments"

    def ready(self) -> None:
        # Consultations sits below payments: it sends signals and shows the payment
        # through the shape registered here, never importing this app.
        from consultations import payment_view, signals

        from . import receivers
        from .serializers import PaymentOutputSerializer

        signals.slot_taken.connect(receivers.release_lapsed_hold, dispatch_uid="payments.hold")
        signals.consultation_booked.connect(receivers.open_hold, dispatch_uid="payments.open")
        signals.consultation_cancelled.connect(receivers.refund, dispatch_uid="payments.refund")
        payment_view.register(lambda payment: PaymentOutputSerializer(payment).data)
