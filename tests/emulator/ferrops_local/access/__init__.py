"""IAM for the functions the local Lambda runs: each call a function makes with its execution
role's credentials is allowed only if the role's policies allow its action.

moto checks IAM only when told to for every caller (INITIAL_NO_AUTH_ACTION_COUNT), and then
matches each statement's Resource against `*`, so a least-privilege grant on a table's ARN would
refuse everything. This check covers the functions alone and evaluates actions, not resources:
a grant missing from infra/ fails locally as it fails in AWS, while a grant on the wrong resource
does not (the request's resource is not known for most operations).

- policies.py: the decision, from a role's policy documents (pure).
- middleware.py: which requests it applies to, and AWS's AccessDenied answer in each protocol.
"""
