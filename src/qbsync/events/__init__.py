"""RabbitMQ inbound and outbound: topology, message schemas, consumer runner, publisher."""
