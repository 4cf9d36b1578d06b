"""sagelab: SageMaker workstations and the AWS side they talk to, with Ansible."""

__version__ = "0.1.0"
