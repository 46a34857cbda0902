"""The appraisal stage's state changes. Views stay thin: every change goes through a
function here that checks the transition and the actor (appraisal/policies.py), writes an
audit record and sends notifications."""
