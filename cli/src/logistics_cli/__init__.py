"""The staff command line `logistics`: commands go to Kafka, reads come from the services' HTTP APIs."""
