"""AWS Config: evaluations that are kept, compliance queries, rule invocation and change events.

moto accepts `PutEvaluations` only in test mode and cannot invoke a rule. Here a rule is invoked
with a real-shaped event (`ConfigBackend.evaluate`), which issues the result token; evaluations
put with that token are stored per rule and resource; and a change of compliance is handed to
EventBridge (events/), which delivers it to every Lambda target of a matching rule. Configuration
items answer with epoch-second times, as the JSON protocol does. CloudFormation creates rules too.
"""
