package cognito

// DemoUser is one of the seed's demo users and the group it belongs to.
type DemoUser struct {
	Email string
	Group string
}

// Demo user names and their groups, as the AWS sample's seeding script
// created them; the groups are config.Defaults().Groups.
var demoUsers = []struct{ local, group string }{
	{"mlflow-admin", "admins"},
	{"mlflow-reader", "readers"},
	{"mlflow-model-approver", "model-approvers"},
}

// DemoUsers returns the three demo users at domain.
func DemoUsers(domain string) []DemoUser {
	users := make([]DemoUser, 0, len(demoUsers))
	for _, d := range demoUsers {
		users = append(users, DemoUser{Email: d.local + "@" + domain, Group: d.group})
	}
	return users
}
