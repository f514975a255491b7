"""SSM: a local agent that really runs `AWS-RunShellScript`, plus the calls moto lacks.

An instance is managed when it is registered through the control API with a tag set, or when it
is a running moto EC2 instance (as the sample pipeline's build instance is). Each has a sandbox
directory, in which the agent (workers.py) runs its commands.
"""
