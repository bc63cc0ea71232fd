"""System check: the retention rules (shipped, and the deployment's file when one is named) can be read."""

from django.core.checks import Error, register

from connecting_people.privacy.retention import RetentionConfigError


@register()
def retention_rules_load(app_configs=None, **kwargs):
    from connecting_people.privacy.selectors import retention_rules

    try:
        retention_rules()
    except RetentionConfigError as error:
        return [Error(f"Retention rules refused: {error}", id="privacy.E001")]
    return []
