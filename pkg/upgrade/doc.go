// Package upgrade moves a deployment from one MLflow version to another
// without losing data: a tagged Aurora snapshot, the service scaled to
// zero, the schema migrated once by a one-off ECS task, then the new image;
// and the way back, a restore of that snapshot.
package upgrade
