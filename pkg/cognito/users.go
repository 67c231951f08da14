package cognito

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/aws/smithy-go"
)

// UsersAPI is the part of the cognito-idp client that manages users.
type UsersAPI interface {
	AdminGetUser(ctx context.Context, in *cip.AdminGetUserInput, optFns ...func(*cip.Options)) (*cip.AdminGetUserOutput, error)
	AdminCreateUser(ctx context.Context, in *cip.AdminCreateUserInput, optFns ...func(*cip.Options)) (*cip.AdminCreateUserOutput, error)
	AdminSetUserPassword(ctx context.Context, in *cip.AdminSetUserPasswordInput, optFns ...func(*cip.Options)) (*cip.AdminSetUserPasswordOutput, error)
	AdminDeleteUser(ctx context.Context, in *cip.AdminDeleteUserInput, optFns ...func(*cip.Options)) (*cip.AdminDeleteUserOutput, error)
	AdminAddUserToGroup(ctx context.Context, in *cip.AdminAddUserToGroupInput, optFns ...func(*cip.Options)) (*cip.AdminAddUserToGroupOutput, error)
	AdminRemoveUserFromGroup(ctx context.Context, in *cip.AdminRemoveUserFromGroupInput, optFns ...func(*cip.Options)) (*cip.AdminRemoveUserFromGroupOutput, error)
	cip.AdminListGroupsForUserAPIClient
	cip.ListUsersAPIClient
	cip.ListUsersInGroupAPIClient
}

// API is every cognito-idp operation this package uses.
type API interface {
	PoolAPI
	UsersAPI
}

// User is a pool user as mlflowctl shows it.
type User struct {
	// Username is Cognito's name for the user: the e-mail, or a generated
	// id when the pool signs users in by their e-mail attribute.
	Username string    `json:"username"`
	Email    string    `json:"email"`
	Status   string    `json:"status"`
	Enabled  bool      `json:"enabled"`
	Groups   []string  `json:"groups"`
	Created  time.Time `json:"created"`
}

// Credentials say how a user's password is set.
type Credentials struct {
	// Password is the new password. It may be empty only with Invite,
	// when Cognito generates a temporary one and e-mails it.
	Password string
	// Temporary makes the user choose a new password at first login.
	Temporary bool
	// Invite lets Cognito send its invitation e-mail. Without it the
	// message is suppressed.
	Invite bool
}

// Directory manages the users of one pool.
type Directory struct {
	api  UsersAPI
	Pool Pool
}

// NewDirectory returns a Directory for pool.
func NewDirectory(api UsersAPI, pool Pool) *Directory {
	return &Directory{api: api, Pool: pool}
}

// Lookup finds a user by e-mail, with their groups; found is false when
// the pool has no such user.
func (d *Directory) Lookup(ctx context.Context, email string) (u User, found bool, err error) {
	out, err := d.api.AdminGetUser(ctx, &cip.AdminGetUserInput{UserPoolId: aws.String(d.Pool.ID), Username: aws.String(email)})
	var notFound *types.UserNotFoundException
	if errors.As(err, &notFound) {
		return User{}, false, nil
	}
	if err != nil {
		return User{}, false, fmt.Errorf("look up user %s: %w", email, err)
	}
	u = User{
		Username: aws.ToString(out.Username),
		Email:    attribute(out.UserAttributes, "email", email),
		Status:   string(out.UserStatus),
		Enabled:  out.Enabled,
		Created:  aws.ToTime(out.UserCreateDate),
	}
	u.Groups, err = d.groupsOf(ctx, u.Username)
	return u, true, err
}

func (d *Directory) groupsOf(ctx context.Context, username string) ([]string, error) {
	groups := []string{}
	pages := cip.NewAdminListGroupsForUserPaginator(d.api, &cip.AdminListGroupsForUserInput{
		UserPoolId: aws.String(d.Pool.ID), Username: aws.String(username), Limit: aws.Int32(pageSize),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the groups of %s: %w", username, err)
		}
		for _, g := range page.Groups {
			groups = append(groups, aws.ToString(g.GroupName))
		}
	}
	slices.Sort(groups)
	return groups, nil
}

// Create adds a user with a verified e-mail and sets their password. The
// password is checked against the pool's policy before anything is
// written. No invitation e-mail is sent unless c.Invite.
func (d *Directory) Create(ctx context.Context, email string, c Credentials) (User, error) {
	if c.Password != "" || !c.Invite {
		if err := d.Pool.Policy.Check(c.Password); err != nil {
			return User{}, err
		}
	}
	in := &cip.AdminCreateUserInput{
		UserPoolId: aws.String(d.Pool.ID),
		Username:   aws.String(email),
		UserAttributes: []types.AttributeType{
			{Name: aws.String("email"), Value: aws.String(email)},
			{Name: aws.String("email_verified"), Value: aws.String("true")},
		},
	}
	if c.Invite {
		in.DesiredDeliveryMediums = []types.DeliveryMediumType{types.DeliveryMediumTypeEmail}
	} else {
		in.MessageAction = types.MessageActionTypeSuppress
	}
	if c.Temporary && c.Password != "" {
		in.TemporaryPassword = aws.String(c.Password)
	}
	u, err := d.createUser(ctx, in)
	if err != nil {
		return User{}, err
	}
	if c.Temporary || c.Password == "" {
		return u, nil
	}
	// The user exists now: finish the pair even after Ctrl-C, or the user
	// is left with a temporary password nobody knows.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	if err := d.setPassword(pctx, u.Username, c.Password, true); err != nil {
		return u, fmt.Errorf("%w (the user was created; run the same command again, or set a password with `mlflowctl users reset-password %s`)", err, email)
	}
	u.Status = string(types.UserStatusTypeConfirmed)
	return u, nil
}

// finishTimeout bounds the password call that completes a create after
// the user pressed Ctrl-C.
const finishTimeout = 30 * time.Second

// createUser calls AdminCreateUser. When the SDK retried a create whose
// reply was lost, Cognito answers UsernameExistsException for the user the
// first attempt made: a user that exists and still waits for its first
// password (FORCE_CHANGE_PASSWORD) is taken as that create.
func (d *Directory) createUser(ctx context.Context, in *cip.AdminCreateUserInput) (User, error) {
	email := aws.ToString(in.Username)
	out, err := d.api.AdminCreateUser(ctx, in)
	var exists *types.UsernameExistsException
	var broken *smithy.DeserializationError
	if errors.As(err, &exists) || errors.As(err, &broken) {
		// A reply cut off or garbled on the way back also means Cognito
		// got the create: look at what it made.
		u, found, lerr := d.Lookup(ctx, email)
		if lerr == nil && found && NeedsPassword(u) {
			return u, nil
		}
	}
	if err != nil {
		return User{}, fmt.Errorf("create user %s: %w", email, err)
	}
	return User{
		Username: aws.ToString(out.User.Username),
		Email:    email,
		Status:   string(out.User.UserStatus),
		Enabled:  out.User.Enabled,
		Groups:   []string{},
		Created:  aws.ToTime(out.User.UserCreateDate),
	}, nil
}

// NeedsPassword reports whether the user still has the temporary password
// it was created with: invited, given a temporary password, or left
// half-made by a run that stopped before setting the password.
func NeedsPassword(u User) bool {
	return u.Status == string(types.UserStatusTypeForceChangePassword)
}

// Finish completes a user that still needs a password: it sets c's
// password, temporary or permanent.
func (d *Directory) Finish(ctx context.Context, u *User, c Credentials) error {
	if err := d.SetPassword(ctx, *u, c.Password, c.Temporary); err != nil {
		return err
	}
	if !c.Temporary {
		u.Status = string(types.UserStatusTypeConfirmed)
	}
	return nil
}

// SetPassword checks the password against the pool's policy, then sets
// it; a temporary password must be changed at the next login.
func (d *Directory) SetPassword(ctx context.Context, u User, password string, temporary bool) error {
	if err := d.Pool.Policy.Check(password); err != nil {
		return err
	}
	return d.setPassword(ctx, u.Username, password, !temporary)
}

func (d *Directory) setPassword(ctx context.Context, username, password string, permanent bool) error {
	_, err := d.api.AdminSetUserPassword(ctx, &cip.AdminSetUserPasswordInput{
		UserPoolId: aws.String(d.Pool.ID),
		Username:   aws.String(username),
		Password:   aws.String(password),
		Permanent:  permanent,
	})
	var invalid *types.InvalidPasswordException
	if errors.As(err, &invalid) {
		// Cognito has rules the policy does not show (password history).
		return inputErrorf("Cognito refused the password: %s", aws.ToString(invalid.Message))
	}
	if err != nil {
		return fmt.Errorf("set the password of %s: %w", username, err)
	}
	return nil
}

// AddToGroups puts the user in every given group they are not yet in and
// returns the groups added. u.Groups is updated.
func (d *Directory) AddToGroups(ctx context.Context, u *User, groups []string) ([]string, error) {
	groups, err := d.Pool.CheckGroups(groups)
	if err != nil {
		return nil, err
	}
	added := []string{}
	for _, g := range groups {
		if slices.Contains(u.Groups, g) {
			continue
		}
		if _, err := d.api.AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{
			UserPoolId: aws.String(d.Pool.ID), Username: aws.String(u.Username), GroupName: aws.String(g),
		}); err != nil {
			return added, fmt.Errorf("add %s to group %s: %w", u.Email, g, err)
		}
		added = append(added, g)
		u.Groups = append(u.Groups, g)
	}
	slices.Sort(u.Groups)
	return added, nil
}

// SetGroups makes the user's groups exactly groups and returns what was
// added and removed. u.Groups is updated.
func (d *Directory) SetGroups(ctx context.Context, u *User, groups []string) (added, removed []string, err error) {
	groups, err = d.Pool.CheckGroups(groups)
	if err != nil {
		return nil, nil, err
	}
	removed = []string{}
	keep := []string{}
	for _, g := range u.Groups {
		if slices.Contains(groups, g) {
			keep = append(keep, g)
			continue
		}
		if _, err := d.api.AdminRemoveUserFromGroup(ctx, &cip.AdminRemoveUserFromGroupInput{
			UserPoolId: aws.String(d.Pool.ID), Username: aws.String(u.Username), GroupName: aws.String(g),
		}); err != nil {
			return nil, removed, fmt.Errorf("remove %s from group %s: %w", u.Email, g, err)
		}
		removed = append(removed, g)
	}
	u.Groups = keep
	added, err = d.AddToGroups(ctx, u, groups)
	return added, removed, err
}

// Delete removes the user from the pool.
func (d *Directory) Delete(ctx context.Context, u User) error {
	_, err := d.api.AdminDeleteUser(ctx, &cip.AdminDeleteUserInput{UserPoolId: aws.String(d.Pool.ID), Username: aws.String(u.Username)})
	if err != nil {
		return fmt.Errorf("delete user %s: %w", u.Email, err)
	}
	return nil
}

// List returns every user of the pool with their groups, sorted by
// e-mail. It pages through ListUsers, then through ListUsersInGroup once
// per group, which takes far fewer calls than asking for each user's
// groups.
func (d *Directory) List(ctx context.Context) ([]User, error) {
	users, err := d.listUsers(ctx)
	if err != nil {
		return nil, err
	}
	byName := make(map[string]*User, len(users))
	for i := range users {
		byName[users[i].Username] = &users[i]
	}
	for _, g := range d.Pool.Groups {
		if err := d.eachMember(ctx, g, func(username string) {
			if u, ok := byName[username]; ok {
				u.Groups = append(u.Groups, g)
			}
		}); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(users, func(a, b User) int {
		return cmp.Or(cmp.Compare(a.Email, b.Email), cmp.Compare(a.Username, b.Username))
	})
	return users, nil
}

func (d *Directory) listUsers(ctx context.Context) ([]User, error) {
	var users []User
	pages := cip.NewListUsersPaginator(d.api, &cip.ListUsersInput{UserPoolId: aws.String(d.Pool.ID), Limit: aws.Int32(pageSize)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the users of pool %s: %w", d.Pool.ID, err)
		}
		for _, u := range page.Users {
			name := aws.ToString(u.Username)
			users = append(users, User{
				Username: name,
				Email:    attribute(u.Attributes, "email", name),
				Status:   string(u.UserStatus),
				Enabled:  u.Enabled,
				Groups:   []string{},
				Created:  aws.ToTime(u.UserCreateDate),
			})
		}
	}
	return users, nil
}

func (d *Directory) eachMember(ctx context.Context, group string, fn func(username string)) error {
	pages := cip.NewListUsersInGroupPaginator(d.api, &cip.ListUsersInGroupInput{
		UserPoolId: aws.String(d.Pool.ID), GroupName: aws.String(group), Limit: aws.Int32(pageSize),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list the members of group %s: %w", group, err)
		}
		for _, u := range page.Users {
			fn(aws.ToString(u.Username))
		}
	}
	return nil
}

func attribute(attrs []types.AttributeType, name, fallback string) string {
	for _, a := range attrs {
		if aws.ToString(a.Name) == name && aws.ToString(a.Value) != "" {
			return aws.ToString(a.Value)
		}
	}
	return fallback
}
