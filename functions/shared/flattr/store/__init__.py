"""The data layer: pynamodb models and the DynamoDB transactions. The one place that writes."""
