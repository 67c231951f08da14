package cognito

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
)

// pageSize is the largest page Cognito's list operations return.
const pageSize = 60

// PoolAPI is the part of the cognito-idp client that reads a pool.
type PoolAPI interface {
	DescribeUserPool(ctx context.Context, in *cip.DescribeUserPoolInput, optFns ...func(*cip.Options)) (*cip.DescribeUserPoolOutput, error)
	cip.ListGroupsAPIClient
}

// Pool is a user pool's identity, password policy and groups.
type Pool struct {
	ID     string
	Name   string
	Policy PasswordPolicy
	// Groups are the pool's group names, sorted.
	Groups []string
}

// LoadPool reads the pool's password policy and every group. An unknown
// pool id is an InputError.
func LoadPool(ctx context.Context, api PoolAPI, id string) (Pool, error) {
	out, err := api.DescribeUserPool(ctx, &cip.DescribeUserPoolInput{UserPoolId: aws.String(id)})
	var notFound *types.ResourceNotFoundException
	if errors.As(err, &notFound) {
		return Pool{}, inputErrorf("user pool %s does not exist: check --user-pool-id, or run `mlflowctl up` to deploy it", id)
	}
	if err != nil {
		return Pool{}, fmt.Errorf("read user pool %s: %w", id, err)
	}
	groups, err := listGroups(ctx, api, id)
	if err != nil {
		return Pool{}, err
	}
	return Pool{
		ID:     id,
		Name:   aws.ToString(out.UserPool.Name),
		Policy: policyFrom(out.UserPool.Policies),
		Groups: groups,
	}, nil
}

func listGroups(ctx context.Context, api cip.ListGroupsAPIClient, id string) ([]string, error) {
	var names []string
	pages := cip.NewListGroupsPaginator(api, &cip.ListGroupsInput{UserPoolId: aws.String(id), Limit: aws.Int32(pageSize)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list the groups of user pool %s: %w", id, err)
		}
		for _, g := range page.Groups {
			names = append(names, aws.ToString(g.GroupName))
		}
	}
	slices.Sort(names)
	return names, nil
}

// CheckGroups returns groups without repeats, in the given order, or an
// InputError naming the unknown ones and listing the pool's groups.
func (p Pool) CheckGroups(groups []string) ([]string, error) {
	var unique, unknown []string
	for _, g := range groups {
		g = strings.TrimSpace(g)
		switch {
		case slices.Contains(unique, g):
		case slices.Contains(p.Groups, g):
			unique = append(unique, g)
		default:
			unknown = append(unknown, fmt.Sprintf("%q", g))
		}
	}
	if len(unknown) == 0 {
		return unique, nil
	}
	if len(p.Groups) == 0 {
		return nil, inputErrorf("unknown group %s: user pool %s has no groups; run `mlflowctl up` to create them",
			strings.Join(unknown, ", "), p.ID)
	}
	return nil, inputErrorf("unknown group %s: user pool %s has the groups %s",
		strings.Join(unknown, ", "), p.ID, strings.Join(p.Groups, ", "))
}
